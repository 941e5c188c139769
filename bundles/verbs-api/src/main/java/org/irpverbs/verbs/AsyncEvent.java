package org.irpverbs.verbs;

/**
 * An asynchronous event.
 *
 * @param type    what happened
 * @param port    the port (1-based) for port events, else 0
 * @param number  the QP or CQ number for QP and CQ events, else 0
 * @param message a human-readable detail
 */
public record AsyncEvent(AsyncEventType type, int port, int number, String message) {
}
