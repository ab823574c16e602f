package io.github.ies.pipeline;

import io.github.ies.io.NonFinite;
import io.github.ies.saliency.SaliencySettings;
import org.junit.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;

import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

/**
 * {@link ExplainPipeline.Request#copyTo} copies every field of the request (ies batch builds each subject's request
 * with it): each field is given a value unlike its default, and each must arrive in the copy. A field added to the
 * request without adding it to {@code copyTo} fails here.
 */
public class ExplainRequestCopyTest {

    @Test
    public void everyFieldIsCopied() throws Exception {
        ExplainPipeline.Request src = new ExplainPipeline.Request(), fresh = new ExplainPipeline.Request();
        int fields = 0;
        for (Field f : ExplainPipeline.Request.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) continue;
            f.set(src, unlike(f.getType(), f.get(fresh)));
            assertNotEquals(f.getName(), f.get(fresh), f.get(src));
            fields++;
        }
        assertTrue("the request has its fields", fields >= 13);
        ExplainJob.Request copy = src.copyTo(new ExplainJob.Request());
        for (Field f : ExplainPipeline.Request.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) continue;
            Object v = f.get(src);
            if (f.getType().isPrimitive()) assertTrue(f.getName(), v.equals(f.get(copy)));
            else assertSame(f.getName(), v, f.get(copy));
        }
    }

    private static Object unlike(Class<?> t, Object current) {
        if (t == int.class) return ((Integer) current) + 7;
        if (t == String.class) return current + "-other";
        if (t == Double.class) return 0.42;
        if (t == Integer.class) return 26;
        if (t == Long.class) return 99L;
        if (t == NonFinite.Policy.class) return current == NonFinite.Policy.ZERO ? NonFinite.Policy.ERROR : NonFinite.Policy.ZERO;
        if (t == List.class) return List.of(3, 7);
        if (t == SaliencySettings.class) return SaliencySettings.builder().samples(3).build();
        throw new AssertionError("a field of type " + t + ": teach this test a value unlike its default");
    }
}
