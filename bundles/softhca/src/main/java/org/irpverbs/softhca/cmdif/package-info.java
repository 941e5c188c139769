/**
 * The driver side of the firmware command interface, shared by the Tavor and mem-free drivers: a
 * device in the HCA's stack that turns command requests into HCR posts, keeps at most the
 * firmware's outstanding bound in flight, queues the rest as requests (never as blocked threads),
 * and completes each request from the command-completion event, by its timeout, or with
 * DEVICE_REMOVED on a surprise removal; a post the firmware refuses waits, without retrying in a
 * loop, until the firmware may have room. A legacy mode reproduces the old blocking driver for
 * comparison.
 */
@Version("1.0.0")
@Export
package org.irpverbs.softhca.cmdif;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
