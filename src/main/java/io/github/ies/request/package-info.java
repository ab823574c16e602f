/**
 * The vocabulary of requests, on the lowest floor so that every layer that checks a setting can use it:
 * {@link io.github.ies.request.InvalidRequest}, a value out of range said once with its settings named by key
 * ({@code {noise_level}}), which each front-end renders as it names them (Fiji: the macro key; the command line: its
 * option). Imports nothing of the project.
 */
package io.github.ies.request;
