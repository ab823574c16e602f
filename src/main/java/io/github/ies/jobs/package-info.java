/**
 * Use cases below both front-ends: each job takes a typed request, validated once ({@link io.github.ies.request.InvalidRequest}
 * names its settings by key, and each front-end renders them as it names them), runs the algorithm packages and writes
 * its output folder and run.json; {@code cli} and {@code fiji} map their options onto requests and show the outcome.
 * May import io, geometry, model, instances, saliency, pipeline, analysis and report; never ImageJ, SciJava or
 * picocli itself (its figures come from {@code report}, which draws them with ImageJ 1's {@code Plot}, headless).
 */
package io.github.ies.jobs;
