package org.irpverbs.verbs;

/** Logical port state (IBA 14.2.5.6 PortState). */
public enum PortState {
    DOWN, INIT, ARMED, ACTIVE
}
