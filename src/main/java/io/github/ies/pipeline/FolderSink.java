package io.github.ies.pipeline;

import io.github.ies.io.ExplainLayout;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import io.github.ies.saliency.Box;
import io.github.ies.saliency.LesionMaps;
import io.github.ies.saliency.MapUnits;
import io.github.ies.saliency.SaliencyMethod;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes an explain run as files in a folder, named by {@link ExplainLayout}: the segmentation maps, each lesion's
 * maps on the full input grid with the input's affine (zero outside the computed region), the whole-volume maps, the
 * tables and run.json. The folder is normally a staging folder that {@link ExplainJob} moves into place.
 */
public final class FolderSink implements ExplainPipeline.Sink {

    private final ExplainLayout layout;
    private final List<String> channels = new ArrayList<>();

    /** {@code inputs}: the bundle's input names (the file-name channels of the SmoothGrad maps). */
    public FolderSink(java.nio.file.Path dir, List<String> inputs) throws IOException {
        this.layout = new ExplainLayout(dir);
        Files.createDirectories(layout.saliency());
        for (String n : inputs) channels.add(ExplainLayout.channelKey(n));
    }

    @Override
    public void segmentation(LesionSegmentation s) throws IOException {
        s.writeMaps(layout.root());
    }

    @Override
    public void lesion(LesionMaps m, Volume ref) throws IOException {
        for (Map.Entry<SaliencyMethod, float[][]> e : m.maps.entrySet()) {
            SaliencyMethod meth = e.getKey();
            float[][] maps = e.getValue();
            float[][] se = m.standardErrors.get(meth);
            Box region = m.regionOf(meth);
            for (int c = 0; c < maps.length; c++) {
                String ch = meth.channels(channels).get(c);
                Nifti.write(ExplainPipeline.paste(maps[c], region, ref), layout.map(m.id, meth.key, ch, false), NiftiDataType.FLOAT32,
                        MapUnits.descrip(meth, ch, false));
                if (se != null) {
                    Nifti.write(ExplainPipeline.paste(se[c], region, ref), layout.map(m.id, meth.key, ch, true), NiftiDataType.FLOAT32,
                            MapUnits.descrip(meth, ch, true));
                }
            }
        }
    }

    @Override
    public void volumeMap(SaliencyMethod method, Volume map) throws IOException {
        Nifti.write(map, layout.volumeMap(method.key), NiftiDataType.FLOAT32, MapUnits.descrip(method, null, false));
    }

    @Override
    public void finish(ExplainPipeline.Result r) throws IOException {
        if (r.instances != null) r.instances.writeTo(layout.root());
        else r.table.write(layout.lesions());
        Nifti.writeAtomically(layout.run(), os -> os.write(r.runRecord.getBytes(StandardCharsets.UTF_8)));
    }
}
