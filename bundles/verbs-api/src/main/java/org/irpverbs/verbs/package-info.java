/**
 * InfiniBand verbs as the HCA driver interface. Control-path verbs are internal device-control
 * requests to an HCA device ({@link org.irpverbs.verbs.VerbsIoctl}), each carrying a typed
 * {@link org.irpverbs.verbs.VerbsRequest} argument that the HCA fills with its result; the speed
 * path is {@link org.irpverbs.verbs.VerbsSpeedPath}, a direct-call interface obtained with
 * QUERY_INTERFACE. {@link org.irpverbs.verbs.Verbs} wraps the control path in promises.
 *
 * <p>1.2: {@link org.irpverbs.verbs.VerbsInterface}, the versioned interface an access layer binds
 * to; the special QPs of a port (CREATE_SPECIAL_QP, {@link org.irpverbs.verbs.SpecialQpType})
 * and MADs to the port's own management agent (LOCAL_MAD, MAD_IFC), for the access layer's MAD
 * service.
 */
@Version("1.2.0")
@Export
package org.irpverbs.verbs;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
