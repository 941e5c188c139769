/**
 * The MAD service of IBAL: byte-exact management datagrams and the agents that send and receive
 * them on each CA port's QP0 and QP1 (docs/architecture.md section 12).
 *
 * <h2>Layouts</h2>
 * {@link org.irpverbs.ibal.mad.MadHeader} is the 24-byte common header and
 * {@link org.irpverbs.ibal.mad.Mad} the 256-byte MAD, both exactly as IBA 13.4.2 lays them out,
 * big-endian; {@link org.irpverbs.ibal.mad.MadMethod}, {@link org.irpverbs.ibal.mad.MadStatus} and
 * {@link org.irpverbs.ibal.mad.ManagementClass} hold the codes.
 *
 * <h2>Agents</h2>
 * A client (the SA client, the CM, IPoIB, SRP, tools) finds the {@link org.irpverbs.ibal.mad.MadService}
 * of a port and registers a {@link org.irpverbs.ibal.mad.MadAgentSpec}: a class, a class version
 * and the request methods it serves. Then:
 * <pre>
 *   MadAgent sa = service.register(MadAgentSpec.client("sa-client", 0x03, 2), null).getValue();
 *   Mad get = Mad.of(MadHeader.request(0x03, 2, MadMethod.GET, sa.newTransactionId(), 0x35, 0), data);
 *   sa.send(new MadSend(get, MadAddress.gsi(smLid), timeoutNanos, 3)).result()
 *       .onResolve(...);      // the PathRecord response, IO_TIMEOUT after 4 attempts, or CANCELLED
 * </pre>
 * Requests of the agent's methods that nobody asked for arrive at its
 * {@link org.irpverbs.ibal.mad.MadHandler} (at DISPATCH), which replies with
 * {@code agent.send(MadSend.oneWay(request.mad().response(status, data), request.source()))}.
 *
 * <h2>Rules</h2>
 * <ul>
 * <li>TIDs: a request's high 32 bits are its agent's {@link org.irpverbs.ibal.mad.MadAgent#id()};
 * a response completes the request with the same TID and class.</li>
 * <li>Timeouts and retries run on the I/O manager's timers; a retry resends the same MAD.</li>
 * <li>Bad MADs: a request with a base or class version, class, method or attribute no agent
 * serves is answered by the service with the IBA status (bad version 0x0004, method not
 * supported 0x0008, method/attribute not supported 0x000C) when it expects a response, and
 * dropped and counted otherwise; an unmatched response is dropped and counted.</li>
 * <li>Unsolicited SMPs no agent serves go to the HCA's own subnet management agent (MAD_IFC), and
 * its answer is sent back; so does an SMP sent to the port's own LID.</li>
 * <li>Nothing blocks: every operation returns at once, and every result is a promise or a
 * {@link org.irpverbs.ibal.mad.MadTransaction}.</li>
 * </ul>
 */
@Version("1.0.0")
@Export
package org.irpverbs.ibal.mad;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
