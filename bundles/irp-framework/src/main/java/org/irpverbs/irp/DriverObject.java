package org.irpverbs.irp;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * A driver's identity and dispatch table ({@code DRIVER_OBJECT}). Built once, immutable, and shared
 * by all the driver's devices. A major function without a routine completes with
 * {@link NtStatus#INVALID_DEVICE_REQUEST}; {@link MajorFunction#PNP} defaults to the framework's
 * PnP dispatch driven by the {@link PnpHandler}; CREATE, CLEANUP and CLOSE default to success so a
 * driver without per-handle state needs nothing for them.
 *
 * <p>Thread-safe (immutable).
 */
public final class DriverObject {
    private static final DispatchRoutine INVALID_DEVICE_REQUEST = (device, irp) -> {
        irp.complete(NtStatus.INVALID_DEVICE_REQUEST);
        return NtStatus.INVALID_DEVICE_REQUEST;
    };
    private static final DispatchRoutine SUCCEED = (device, irp) -> {
        irp.complete(NtStatus.SUCCESS);
        return NtStatus.SUCCESS;
    };

    private final String name;
    private final DispatchRoutine[] table;
    private final PnpHandler pnp;

    private DriverObject(String name, DispatchRoutine[] table, PnpHandler pnp) {
        this.name = name;
        this.table = table;
        this.pnp = pnp;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    public PnpHandler pnpHandler() {
        return pnp;
    }

    /** The routine for a major function (never null). */
    public DispatchRoutine dispatch(MajorFunction major) {
        return table[major.ordinal()];
    }

    @Override
    public String toString() {
        return name;
    }

    /** Builds a {@link DriverObject}. Not thread-safe. */
    public static final class Builder {
        private final String name;
        private final Map<MajorFunction, DispatchRoutine> routines = new EnumMap<>(MajorFunction.class);
        private PnpHandler pnp = PnpHandler.NONE;

        private Builder(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("driver name must not be blank");
            }
            this.name = name;
        }

        public Builder dispatch(MajorFunction major, DispatchRoutine routine) {
            routines.put(Objects.requireNonNull(major, "major"), Objects.requireNonNull(routine, "routine"));
            return this;
        }

        public Builder pnp(PnpHandler handler) {
            this.pnp = Objects.requireNonNull(handler, "handler");
            return this;
        }

        public DriverObject build() {
            DispatchRoutine[] table = new DispatchRoutine[MajorFunction.VALUES.length];
            for (MajorFunction major : MajorFunction.VALUES) {
                DispatchRoutine r = routines.get(major);
                if (r == null) {
                    r = switch (major) {
                        case PNP -> PnpDispatch.INSTANCE;
                        case CREATE, CLEANUP, CLOSE -> SUCCEED;
                        default -> INVALID_DEVICE_REQUEST;
                    };
                }
                table[major.ordinal()] = r;
            }
            return new DriverObject(name, table, pnp);
        }
    }
}
