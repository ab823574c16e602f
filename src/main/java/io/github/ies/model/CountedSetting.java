package io.github.ies.model;

import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A process-wide setting (a libtorch flag reached through JNA: oneDNN on or off, the allocator's junk fill, c10's log
 * level) held at a value while at least one scope is open: the first scope saves the current value and sets the new
 * one, the last one to close restores the saved value. Reference counted, so overlapping runs in one JVM are safe;
 * closing a scope twice is harmless. The one implementation behind {@link OneDnn#disabled()}, {@link JunkFill#on()} and
 * {@link LibTorchNative#quietWarnings()}.
 */
public final class CountedSetting<T> {

    /** An open scope; closing it ends it. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** A scope that holds nothing (the setting cannot be reached). */
    static final Scope NONE = () -> { };

    private final Supplier<T> get;
    private final Consumer<T> set;
    private int open;
    private T saved;

    CountedSetting(Supplier<T> get, Consumer<T> set) {
        this.get = get;
        this.set = set;
    }

    /** Opens a scope: on the first, saves the current value and sets {@code value.apply(saved)}. */
    synchronized Scope open(UnaryOperator<T> value) {
        if (open++ == 0) {
            saved = get.get();
            set.accept(value.apply(saved));
        }
        boolean[] live = {true};
        return () -> {
            synchronized (CountedSetting.this) {
                if (!live[0]) return;
                live[0] = false;
                if (--open == 0) set.accept(saved);
            }
        };
    }
}
