#@ CommandService command
#@ ModuleService modules
#@ File (label="Cohort folder (one sub-folder per subject)", style="directory") subjects
#@ File (label="Output folder", style="directory") output
#@ File (label="Model bundle", style="directory") model
#@ Integer (label="SmoothGrad samples", value=50) samples
#@ String (label="Methods", value="smoothgrad-max,gradcampp") methods

# Batch over a folder of subjects (each with flair*.nii[.gz] and mprage*.nii[.gz], optional lesions*.nii[.gz] as
# ground truth) inside Fiji: gives the NIfTI paths to the command (read with the plugin's reader), runs "Explain Lesions" per
# subject into OUTPUT/<subject>/ (the layout of 'ies explain') and saves the gallery and overview as TIFF there.
# A subject whose folder already has gallery.tif is skipped, so a stopped run can be resumed. The command runs with
# pre-processing off (False): no dialog opens, the keys not passed keep their defaults; the ground truth is passed as
# a path (read with the plugin's NIfTI reader), or "none".
# The same batch without Fiji (and with --shard for clusters): ies batch --subjects DIR --out DIR --model BUNDLE.
import os
from java.io import File
from ij import IJ
from ij.io import FileSaver
from io.github.ies.fiji import ExplainLesionsCommand


def find(folder, prefixes):
    for name in sorted(os.listdir(folder)):
        low = name.lower()
        if (low.endswith(".nii") or low.endswith(".nii.gz")) and any(low.startswith(p) for p in prefixes):
            return os.path.join(folder, name)
    return None


def explain_subject(name, folder, out):
    flair_path, mprage_path = find(folder, ["flair"]), find(folder, ["mprage", "t1"])
    if flair_path is None or mprage_path is None:
        return "skipped (no flair/mprage files)"
    if os.path.exists(os.path.join(out, "gallery.tif")):
        return "done before"
    gt = find(folder, ["lesions", "gt"])
    # FLAIR and MPRAGE as NIfTI paths: the command reads them with the plugin's reader (affine kept)
    inputs = {"flair": flair_path, "mprage": mprage_path, "model": model, "samples": samples,
              "methods": methods, "output_folder": File(out), "labels": "none",
              "ground_truth": gt if gt is not None else "none"}
    module = modules.run(command.getCommand(ExplainLesionsCommand), False, inputs).get()
    if module.isCanceled():
        return "FAILED: " + str(module.getCancelReason())
    if module.getOutput("overview") is not None:
        FileSaver(module.getOutput("overview")).saveAsTiff(os.path.join(out, "overview.tif"))
    if module.getOutput("gallery") is not None:
        FileSaver(module.getOutput("gallery")).saveAsTiff(os.path.join(out, "gallery.tif"))
    return "done: %d table row(s)" % module.tables().get("lesion_table").size()


root = subjects.getAbsolutePath()
for name in sorted(os.listdir(root)):
    folder = os.path.join(root, name)
    if not os.path.isdir(folder) or name.startswith("."):
        continue
    out = os.path.join(output.getAbsolutePath(), name)
    if not os.path.isdir(out):
        os.makedirs(out)
    try:
        status = explain_subject(name, folder, out)
    except Exception as e:  # one failed subject does not stop the others
        status = "FAILED: %s" % e
    IJ.log("%s: %s" % (name, status))
