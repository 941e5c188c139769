package org.irpverbs.ibal.mad;

import java.util.Set;

/**
 * What an agent registers for (as Linux ib_register_mad_agent's registration request, WinOF's
 * ib_reg_mad_svc): one management class and class version, the request methods whose
 * unsolicited MADs it serves, and optionally the attributes it serves them for. Each
 * (class, version, method) has at most one agent per port. An agent that only sends requests and
 * takes their responses registers no methods.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name         for logs, statistics and conflict messages
 * @param mgmtClass    {@link ManagementClass}, 0x01..0xFF
 * @param classVersion 1..0xFF
 * @param methods      request methods (response bit clear) it receives unsolicited; may be empty
 * @param attributes   attribute IDs it serves; empty: all. A request for another attribute is
 *                     answered with {@link MadStatus#UNSUPPORTED_METHOD_ATTRIBUTE}
 */
public record MadAgentSpec(String name, int mgmtClass, int classVersion, Set<Integer> methods, Set<Integer> attributes) {
    public MadAgentSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("an agent needs a name");
        }
        if (mgmtClass < 1 || mgmtClass > 0xFF) {
            throw new IllegalArgumentException(name + ": management class must be 0x01..0xFF, was " + mgmtClass);
        }
        if (classVersion < 1 || classVersion > 0xFF) {
            throw new IllegalArgumentException(name + ": class version must be 1..255, was " + classVersion);
        }
        methods = Set.copyOf(methods == null ? Set.of() : methods);
        attributes = Set.copyOf(attributes == null ? Set.of() : attributes);
        for (int m : methods) {
            if (m < 1 || m > 0x7F) {
                throw new IllegalArgumentException(name + String.format(
                        ": an agent registers request methods 0x01..0x7F (no response bit), not 0x%02X", m));
            }
        }
        for (int a : attributes) {
            if (a < 0 || a > 0xFFFF) {
                throw new IllegalArgumentException(name + ": an attribute ID is 16 bits, was " + a);
            }
        }
    }

    /** An agent that only sends requests and receives their responses. */
    public static MadAgentSpec client(String name, int mgmtClass, int classVersion) {
        return new MadAgentSpec(name, mgmtClass, classVersion, Set.of(), Set.of());
    }
}
