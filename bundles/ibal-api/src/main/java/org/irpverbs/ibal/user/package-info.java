/**
 * IBAL's user-mode ABI (docs/ibal-user-abi.md): the DEVICE_CONTROL IOCTLs an untrusted client
 * (a test harness, a future out-of-process client) sends to a file object opened on IBAL's device,
 * and the byte layouts of their input and output records: little-endian, fixed sizes, lengths
 * checked before anything is done. Handles are opaque 64-bit values of the file object that
 * created them.
 */
@Version("1.0.0")
@Export
package org.irpverbs.ibal.user;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
