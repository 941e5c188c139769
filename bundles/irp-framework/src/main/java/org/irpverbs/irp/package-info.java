/**
 * The irpverbs I/O request packet framework: request packets with one stack location per device
 * layer, device stacks, dispatch, completion exactly once, cancellation, remove locks, PnP and
 * execution levels. See the module README and {@code docs/driver-guide.md}.
 */
@Version("1.3.0")
@Export
package org.irpverbs.irp;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
