#@ CommandService command
#@ ModuleService modules
#@ ImagePlus (label="FLAIR") flair
#@ ImagePlus (label="MPRAGE (T1)") mprage
#@ String (label="Ground truth (none, or an open image's title)", value="none") ground_truth
#@ File (label="Model bundle", style="directory") model
#@ String (label="Lesions (all or ids such as 3,7,12)", value="all") lesions
#@ Integer (label="SmoothGrad samples", value=50) samples
#@ File (label="Output folder (none: do not save)", style="directory", value="none") output_folder
#@output ImagePlus gallery
#@output ImagePlus overview

# Runs the "Explain Lesions" command on two open images from a script (Jython), the same command the menu and
# macros run, and shows its outputs. The keys of the map are the command's macro keys (see docs/fiji.md).
# Pre-processing is off (False): no dialog opens for the keys left out, which keep their defaults (labels=none:
# segment first). The command is a DynamicCommand, so it runs through the ModuleService (CommandService.run(...)
# .get() would give null).
from io.github.ies.fiji import ExplainLesionsCommand

inputs = {
    "flair": flair.getTitle(),      # FLAIR and MPRAGE are given as open images' titles (or NIfTI paths)
    "mprage": mprage.getTitle(),
    "model": model,
    "ground_truth": ground_truth,
    "labels": "none",
    "lesions": lesions,
    "samples": samples,
    "methods": "smoothgrad-max,gradcampp",
    "saliency_context": "patch",
    "output_folder": output_folder,
}

module = modules.run(command.getCommand(ExplainLesionsCommand), False, inputs).get()
if module.isCanceled():
    raise RuntimeError(module.getCancelReason())
gallery = module.getOutput("gallery")
overview = module.getOutput("overview")
table = module.tables().get("lesion_table")
table.show("Lesions")
# The per-lesion ROIs (one per slice, named "lesion 007 (TP)", group = id) go to the ROI Manager when the GUI is up;
# the command object also returns them: module.getRois()
