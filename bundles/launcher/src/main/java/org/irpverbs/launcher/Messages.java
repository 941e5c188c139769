package org.irpverbs.launcher;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;

/**
 * One line for an error, as a user should read it: the message of the exception that carries the
 * cause (not of its reflective or concurrent wrappers), without Java class names in front of it
 * ({@code java.lang.IllegalArgumentException: }). Thread-safe (static, pure).
 */
final class Messages {
    /** A qualified exception class name and its colon, as {@code Throwable.toString()} writes them. */
    private static final Pattern CLASS_PREFIX = Pattern.compile("^(?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error): ");

    private Messages() {}

    /** An interruption that says nothing more: the thread's InterruptedException or a cancelled job. */
    static boolean isBareInterruption(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t instanceof InterruptedException || t instanceof java.util.concurrent.CancellationException
                || t instanceof java.io.InterruptedIOException;
    }

    static String describe(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && (t instanceof InvocationTargetException || t instanceof ExecutionException
                || t instanceof UndeclaredThrowableException || t instanceof CompletionException
                || t.getMessage() == null || t.getMessage().equals(t.getCause().toString()))) {
            t = t.getCause();
        }
        String message = t.getMessage();
        if (message == null || message.isBlank()) {
            return t.getClass().getSimpleName();
        }
        String line = message.strip();
        String stripped;
        while (!(stripped = CLASS_PREFIX.matcher(line).replaceFirst("")).equals(line)) {
            line = stripped;
        }
        return line;
    }
}
