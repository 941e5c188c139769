package org.irpverbs.hca.core;

import java.util.concurrent.TimeUnit;
import org.irpverbs.softhca.cmdif.CommandMode;

/**
 * The options an HCA driver takes from its ConfigAdmin configuration, validated.
 *
 * @param commandMode         how the command interface waits for the firmware: QUEUED (requests
 *                            queue, nothing blocks) or LEGACY_BLOCKING (callers block, for the
 *                            comparison benchmark)
 * @param commandTimeoutNanos how long the firmware gets to answer one command
 */
public record HcaDriverOptions(CommandMode commandMode, long commandTimeoutNanos) {
    /** Attribute names, as the drivers' metatype declares them. */
    public static final String COMMAND_MODE = "commandMode";
    public static final String COMMAND_TIMEOUT_MILLIS = "commandTimeoutMillis";
    // compile-time constants, so that each driver's metatype annotation (which bnd reads only in the
    // driver's own bundle) takes its defaults and bound from here rather than repeating them
    /** The default {@value #COMMAND_MODE}, as the configuration spells it. */
    public static final String DEFAULT_MODE = "queued";
    /** The default {@value #COMMAND_TIMEOUT_MILLIS}. */
    public static final long DEFAULT_TIMEOUT_MILLIS = 5000;
    public static final long MAX_TIMEOUT_MILLIS = 600_000;

    public static final HcaDriverOptions DEFAULTS = new HcaDriverOptions(CommandMode.parse(DEFAULT_MODE),
            TimeUnit.MILLISECONDS.toNanos(DEFAULT_TIMEOUT_MILLIS));

    /**
     * @throws IllegalArgumentException for a null mode or a timeout outside 1 ms..600 s
     */
    public HcaDriverOptions {
        if (commandMode == null) {
            throw new IllegalArgumentException(COMMAND_MODE + " is required");
        }
        if (commandTimeoutNanos < TimeUnit.MILLISECONDS.toNanos(1)
                || commandTimeoutNanos > TimeUnit.MILLISECONDS.toNanos(MAX_TIMEOUT_MILLIS)) {
            throw new IllegalArgumentException(COMMAND_TIMEOUT_MILLIS + " must be 1.." + MAX_TIMEOUT_MILLIS
                    + " ms, was " + TimeUnit.NANOSECONDS.toMillis(commandTimeoutNanos) + " ms");
        }
    }

    /**
     * Reads the configuration attributes.
     *
     * @param mode          {@code queued} or {@code legacy}
     * @param timeoutMillis 1..600000
     * @throws IllegalArgumentException naming the attribute and what it accepts
     */
    public static HcaDriverOptions parse(String mode, long timeoutMillis) {
        CommandMode parsed;
        try {
            parsed = CommandMode.parse(mode);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(COMMAND_MODE + ": " + e.getMessage(), e);
        }
        if (timeoutMillis < 1 || timeoutMillis > MAX_TIMEOUT_MILLIS) {
            throw new IllegalArgumentException(COMMAND_TIMEOUT_MILLIS + " must be 1.." + MAX_TIMEOUT_MILLIS
                    + ", was " + timeoutMillis);
        }
        return new HcaDriverOptions(parsed, TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
    }

    /**
     * The options a driver's configuration gives; a bad value is logged (naming the PID and the
     * attribute) and the defaults are used, so a typo never leaves the hardware without a driver.
     */
    public static HcaDriverOptions fromConfig(String mode, long timeoutMillis, String pid) {
        try {
            return parse(mode, timeoutMillis);
        } catch (IllegalArgumentException e) {
            org.slf4j.LoggerFactory.getLogger(HcaDriverOptions.class).error("configuration {}: {}; using {}", pid,
                    e.getMessage(), DEFAULTS);
            return DEFAULTS;
        }
    }
}
