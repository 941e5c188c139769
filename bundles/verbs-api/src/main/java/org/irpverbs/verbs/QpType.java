package org.irpverbs.verbs;

/** Queue pair transport: reliable connected or unreliable datagram (UC, RD, XRC are not modelled). */
public enum QpType {
    RC, UD
}
