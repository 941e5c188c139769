/**
 * The HCA function device shared by the Tavor and the mem-free driver models. A driver bundle
 * supplies only a {@link org.irpverbs.hca.core.ContextMemory} strategy (where context tables live
 * and which commands that costs) and its options; {@link org.irpverbs.hca.core.HcaDriver} does the
 * rest: AddDevice (the command-interface device, then the function device), START as a chain of
 * firmware command requests, every verbs IOCTL, CQ notifications and asynchronous events as pending
 * requests, the speed path, surprise removal and removal. Shells read an HCA's state through
 * {@link org.irpverbs.hca.core.HcaDevice}, the function device's extension.
 */
@Version("1.1.0")
@Export
package org.irpverbs.hca.core;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
