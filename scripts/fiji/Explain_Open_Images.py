#@ CommandService command
#@ ImagePlus (label="FLAIR") flair
#@ ImagePlus (label="MPRAGE (T1)") mprage
#@ File (label="Model bundle", style="directory") model
#@ String (label="Lesions (all or ids such as 3,7,12)", value="all") lesions
#@ Integer (label="SmoothGrad samples", value=50) samples
#@ File (label="Output folder (optional)", style="directory", required=false) output_folder
#@output ImagePlus gallery
#@output ImagePlus overview

# Runs the "Explain Lesions" command on two open images from a script (Jython), the same command the menu and
# macros run, and shows its outputs. The keys of the map are the command's macro keys (see docs/fiji.md).
from io.github.ies.fiji import ExplainLesionsCommand

inputs = {
    "flair": flair,
    "mprage": mprage,
    "model": model,
    "lesions": lesions,
    "samples": samples,
    "methods": "smoothgrad-max,gradcampp",
    "saliency_context": "patch",
}
if output_folder is not None:
    inputs["output_folder"] = output_folder

module = command.run(ExplainLesionsCommand, True, inputs).get()
if module.isCanceled():
    raise RuntimeError(module.getCancelReason())
gallery = module.getOutput("gallery")
overview = module.getOutput("overview")
table = module.getOutput("lesion_table")
table.show("Lesions")
# The per-lesion ROIs (one per slice, named "lesion 007 (TP)", group = id) are in the ROI Manager when the GUI is up;
# the command object also returns them: module.getDelegateObject().getRois()
