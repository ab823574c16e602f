package io.github.ies.model;

import java.io.IOException;

/** A model bundle that cannot be used: missing file, bad JSON, missing or wrong key, model/metadata mismatch. */
public class BundleException extends IOException {
    public BundleException(String message) { super(message); }
    public BundleException(String message, Throwable cause) { super(message, cause); }
}
