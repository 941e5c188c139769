package org.irpverbs.ibal;

import org.irpverbs.verbs.AsyncEvent;

/**
 * An event of one CA as IBAL delivers it: by completing a client's pending request.
 *
 * @param ca    the CA's name
 * @param event the HCA's asynchronous event (port up/down, QP/CQ errors, catastrophic error)
 */
public record IbalEvent(String ca, AsyncEvent event) {
}
