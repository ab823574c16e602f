#@ ImagePlus (label="FLAIR") flair
#@ ImagePlus (label="MPRAGE (T1)") mprage
#@ File (label="Model bundle", style="directory") model
#@output ImagePlus labels

# The engine's Java API without the SciJava command: segmentation, lesion instances and the label image, as the
# CLI computes them (Segmenter, InstanceAnalysis). DJL finds its engine through the thread context class loader,
# which the plugin's own commands set; a script sets it as below.
from java.lang import Thread
from java.util import LinkedHashMap
from ij import IJ
from io.github.ies.model import ModelBundle, Segmenter, ProgressListener, TorchRuntime
from io.github.ies.instances import InstanceAnalysis, InstanceParams, Connectivity
from io.github.ies.fiji import VolumeImages, LabelImages, LesionResults

thread = Thread.currentThread()
old_loader = thread.getContextClassLoader()
thread.setContextClassLoader(Segmenter.getClassLoader())
try:
    # start PyTorch first: a first run may download its natives (announced in the Log window), see docs/fiji.md
    TorchRuntime.configure(0, lambda note: IJ.log("IES: " + note))
    bundle = ModelBundle.load(model.toPath())
    named = LinkedHashMap()
    named.put("FLAIR", VolumeImages.toVolume(flair))
    named.put("MPRAGE", VolumeImages.toVolume(mprage))
    channels = Segmenter.matchInputs(bundle, named, None)
    segmenter = Segmenter(bundle, Segmenter.Options())
    try:
        result = segmenter.segment(channels, None, ProgressListener.NONE)
    finally:
        segmenter.close()
finally:
    thread.setContextClassLoader(old_loader)

params = InstanceParams.defaults().withConnectivity(Connectivity.of(bundle.connectivity())) \
    .withMinLesionVoxels(bundle.minLesionVoxels())
instances = InstanceAnalysis.run(result.probability(), result.mask(), None, None, channels[0], params)
labels = LabelImages.toImagePlus(instances.predicted().toVolume(instances.geometry(), 0), flair.getShortTitle() + "_labels")
LesionResults.toResultsTable(instances.table()).show("Lesions")
