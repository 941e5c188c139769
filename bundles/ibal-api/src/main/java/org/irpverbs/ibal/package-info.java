/**
 * The InfiniBand access layer's client API (docs/architecture.md section 12): how a ULP driver
 * talks to its IBAL port child device, and how a non-driver client (SA, CM, shells, tools)
 * registers for CAs and their events. Every operation is a request or a promise; nothing blocks.
 */
@Version("1.1.0")
@Export
package org.irpverbs.ibal;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
