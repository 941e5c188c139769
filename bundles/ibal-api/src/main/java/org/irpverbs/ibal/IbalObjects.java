package org.irpverbs.ibal;

import java.util.List;

/**
 * A snapshot of one client's object tree (client → CA → PD → QP, MR, AH, multicast attachment;
 * CQs under the CA), with each object's reference count: how many objects hang below it or refer
 * to it (a QP refers to its CQs). IBAL refuses to destroy an object whose count is not zero
 * (DEVICE_BUSY, and the reason names what is left) and, when the client goes, destroys everything
 * children first.
 *
 * @param client the client: the driver on a child device ({@code ipoib on hca0-port1-ipoib0}) or a registered client's name
 * @param ca     the CA the objects live on
 * @param roots  the top-level objects (PDs and CQs)
 */
public record IbalObjects(String client, String ca, List<Node> roots) {
    /**
     * One object.
     *
     * @param type       PD, CQ, QP, MR, AH or MCAST
     * @param number     its number on the HCA (QPN, CQN, ...; the MLID for a multicast attachment)
     * @param references objects below it or referring to it
     * @param children   the objects below it
     */
    public record Node(String type, int number, int references, List<Node> children) {
    }
}
