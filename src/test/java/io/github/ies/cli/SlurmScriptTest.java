package io.github.ies.cli;

import io.github.ies.jobs.SlurmScript;
import io.github.ies.phantom.PhantomGenerator;
import io.github.ies.phantom.PhantomSpec;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.Assert.*;

/**
 * {@code ies batch --slurm-script} without a scheduler (SlurmIT runs the scripts on a real one): the requests come from
 * the measured figures and say so, {@code --lesion-seconds} replaces them, and the output folder is claimed with a
 * record that lets {@code ies collect} name the cohort before any task has run.
 */
public class SlurmScriptTest extends CliTestBase {

    @Test
    public void theRequestsComeFromTheMeasuredFiguresAndSaySo() throws Exception {
        Path cohort = tmp.newFolder("cohort").toPath();
        for (int s = 1; s <= 4; s++) PhantomGenerator.generate(new PhantomSpec(s, new int[] {32, 32, 32}, 6.0, 1)).write(cohort.resolve("s" + s));
        Path out = tmp.getRoot().toPath().resolve("out"), file = tmp.getRoot().toPath().resolve("a.sh");
        CliRun r = CliRun.of("batch", "--subjects", cohort.toString(), "--out", out.toString(), "--model", tinyBundle(), "--methods", "smoothgrad-max",
                "--samples", "4", "--device", "cpu", "--slurm-script", file.toString(), "--array-tasks", "2", "--cpus-per-task", "2");
        assertEquals(r.err, 0, r.rc);
        String text = Files.readString(file);
        // known answer, by hand: 2 subjects per task x (30 s + 10 lesions x (0.94 + 1.16 x 4) s) = 171.6 s, x 1.5 = 257.4 s,
        // ceil(4.29 min) + 5 = 10 min; memory ceil(4519 MiB x 1.5 / 100) x 100 = 6800 MiB
        assertTrue(Files.readString(file).contains("#SBATCH --time=10\n") && Files.readString(file).contains("#SBATCH --mem=6800M\n"));
        double lesion = SlurmScript.SG_SECONDS_PER_LESION + SlurmScript.SG_SECONDS_PER_SAMPLE * 4;
        int minutes = (int) Math.ceil(2 * (SlurmScript.SUBJECT_SECONDS + 10 * lesion) * SlurmScript.MARGIN / 60) + 5;
        int mib = (int) Math.ceil(SlurmScript.PEAK_MIB * SlurmScript.MARGIN / 100.0) * 100;
        assertTrue(text, text.contains("#SBATCH --array=1-2\n") && text.contains("#SBATCH --time=" + minutes + "\n")
                && text.contains("#SBATCH --mem=" + mib + "M\n") && text.contains("-Xmx" + SlurmScript.DEFAULT_HEAP_GIB + "g "));
        assertTrue(text, text.contains("measured peak " + SlurmScript.PEAK_MIB + " MiB") && text.contains("load average")
                && text.contains("demo-unet") && !text.contains("7.8"));
        String run = Files.readString(out.resolve("run.json"));
        assertTrue(run, run.contains("\"command\": \"batch\"") && run.contains("\"shards\": 2") && run.contains(cohort.toAbsolutePath().toString()));

        Path given = tmp.getRoot().toPath().resolve("b.sh");
        r = CliRun.of("batch", "--subjects", cohort.toString(), "--out", out.toString(), "--model", tinyBundle(), "--device", "cpu",
                "--slurm-script", given.toString(), "--array-tasks", "4", "--lesion-seconds", "60", "--lesions-per-subject", "5");
        assertEquals(r.err, 0, r.rc);
        text = Files.readString(given);
        // 1 subject per task x (30 s + 5 x 60 s) x 1.5 + 5 min = 5 + ceil(8.25) = 14 min; the lesion seconds are not in the task's command
        assertTrue(text, text.contains("#SBATCH --time=14\n") && text.contains("given (--lesion-seconds)") && !text.contains("--lesion-seconds 60"));

        r = CliRun.of("batch", "--subjects", cohort.toString(), "--out", out.toString(), "--model", tinyBundle(),
                "--slurm-script", tmp.getRoot().toPath().resolve("c.sh").toString(), "--lesion-seconds", "-1");
        assertEquals(2, r.rc);
        assertTrue(r.err, r.err.contains("--lesion-seconds"));
    }
}
