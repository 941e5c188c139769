package org.irpverbs.ibal.internal;

import java.util.Locale;
import java.util.function.Consumer;
import org.slf4j.LoggerFactory;

/**
 * How IBAL runs its work: {@link #QUEUED}, the default, owns no thread (everything is a DPC or a
 * request completion on the I/O manager's pool); {@link #LEGACY} works the way WinOF's IBAL did,
 * for the comparison benchmark: three worker threads of its own ({@link LegacyWorkers}), the verbs
 * IBAL sends to an HCA issued from one of them at PASSIVE (so that an HCA in legacy command mode may
 * block the sender; only REQ_NOTIFY_CQ and IBAL's pending GET_ASYNC_EVENT, which are no commands,
 * are sent at once), destruction on the destroy thread. The client API and its semantics are the
 * same in both.
 *
 * <p>Chosen by the configuration {@value #PID}, attribute {@value #ATTRIBUTE} ({@code queued} or
 * {@code legacy}), or by the constructor {@link IbalBusDriver#IbalBusDriver(org.irpverbs.irp.IoManager,
 * IbalCore.Lifecycle, IbalMode)} when IBAL is used as plain classes (tests, benchmarks).
 */
public enum IbalMode {
    /** No threads of IBAL's own; verbs are sent from wherever the request came (DISPATCH or PASSIVE). */
    QUEUED("queued"),
    /** WinOF's three worker threads (AL_OBJ, AL_MISC, AL_PNP); verbs issued from them at PASSIVE. */
    LEGACY("legacy");

    /** IBAL's configuration PID. */
    public static final String PID = "org.irpverbs.ibal";
    /** The configuration attribute that chooses the mode. */
    public static final String ATTRIBUTE = "mode";
    /** The default, as the configuration spells it (a compile-time constant for the metatype annotation). */
    public static final String DEFAULT = "queued";

    private final String configValue;

    IbalMode(String configValue) {
        this.configValue = configValue;
    }

    /** The mode as the configuration spells it. */
    public String configValue() {
        return configValue;
    }

    /**
     * @param value {@code queued} or {@code legacy} (case and surrounding blanks ignored)
     * @throws IllegalArgumentException naming the attribute and the accepted values
     */
    public static IbalMode parse(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        for (IbalMode mode : values()) {
            if (mode.configValue.equals(v)) {
                return mode;
            }
        }
        throw new IllegalArgumentException(ATTRIBUTE + " must be " + QUEUED.configValue + " or " + LEGACY.configValue
                + ", was " + (value == null ? "missing" : "'" + value + "'"));
    }

    /**
     * The mode IBAL's configuration gives; a bad value is logged once (naming the PID, the attribute
     * and what it accepts) and the default is used, so a typo never leaves the HCAs without IBAL.
     */
    public static IbalMode fromConfig(String value, String pid) {
        return fromConfig(value, pid, message -> LoggerFactory.getLogger(IbalMode.class).error(message));
    }

    /** {@link #fromConfig(String, String)} telling {@code log} the one line about a bad value. */
    static IbalMode fromConfig(String value, String pid, Consumer<String> log) {
        try {
            return parse(value);
        } catch (IllegalArgumentException e) {
            log.accept("configuration " + pid + ": " + e.getMessage() + "; using " + DEFAULT);
            return parse(DEFAULT);
        }
    }
}
