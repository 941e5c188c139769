package org.irpverbs.irp;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a driver service's properties say about it (see {@link Driver}), validated.
 *
 * @param hardwareIds the hardware IDs it supports
 * @param role        function, upper filter or lower filter
 * @param ranking     higher wins among function drivers
 * @param root        whether the PnP manager creates a root physical device for it
 */
public record DriverRegistration(List<String> hardwareIds, Role role, int ranking, boolean root) {
    /** A driver's place in a stack. */
    public enum Role {
        FUNCTION, UPPER_FILTER, LOWER_FILTER
    }

    public DriverRegistration {
        hardwareIds = List.copyOf(hardwareIds);
    }

    /**
     * Reads service properties.
     *
     * @throws IllegalArgumentException with a message naming the bad property
     */
    public static DriverRegistration fromProperties(Map<String, ?> props) {
        Object ids = props.get(Driver.HARDWARE_IDS);
        List<String> hardwareIds;
        if (ids == null) {
            hardwareIds = List.of();
        } else if (ids instanceof String s) {
            hardwareIds = List.of(s);
        } else if (ids instanceof String[] a) {
            hardwareIds = Arrays.asList(a);
        } else if (ids instanceof java.util.Collection<?> c) {
            hardwareIds = c.stream().map(String::valueOf).toList();
        } else {
            throw new IllegalArgumentException(Driver.HARDWARE_IDS + " must be a String or String[], was " + ids.getClass().getName());
        }
        for (String id : hardwareIds) {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException(Driver.HARDWARE_IDS + " contains a blank hardware ID");
            }
        }
        Object roleValue = props.get(Driver.ROLE);
        Role role = Role.FUNCTION;
        if (roleValue != null) {
            role = switch (String.valueOf(roleValue).trim().toLowerCase(Locale.ROOT)) {
                case "function" -> Role.FUNCTION;
                case "upperfilter" -> Role.UPPER_FILTER;
                case "lowerfilter" -> Role.LOWER_FILTER;
                default -> throw new IllegalArgumentException(
                        Driver.ROLE + " must be function, upperFilter or lowerFilter, was '" + roleValue + "'");
            };
        }
        Object rank = props.get("service.ranking");
        int ranking = rank instanceof Integer i ? i : 0;
        Object rootValue = props.get(Driver.ROOT);
        boolean root = rootValue instanceof Boolean b ? b : Boolean.parseBoolean(String.valueOf(rootValue));
        if (!root && hardwareIds.isEmpty()) {
            throw new IllegalArgumentException("a driver needs " + Driver.HARDWARE_IDS + " or " + Driver.ROOT + "=true");
        }
        return new DriverRegistration(hardwareIds, role, ranking, root);
    }

    /** A function driver for the given hardware IDs. */
    public static DriverRegistration function(int ranking, String... hardwareIds) {
        return new DriverRegistration(List.of(hardwareIds), Role.FUNCTION, ranking, false);
    }

    /** A root-enumerated driver. */
    public static DriverRegistration rootDriver() {
        return new DriverRegistration(List.of(), Role.FUNCTION, 0, true);
    }
}
