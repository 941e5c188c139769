/**
 * The soft HCA as hardware: what a bus driver enumerates ({@link org.irpverbs.softhca.SoftHcaHardware}
 * with its {@link org.irpverbs.softhca.HcaConfig}), the firmware command interface it exposes to a
 * driver (HCR: {@link org.irpverbs.softhca.Firmware}, {@link org.irpverbs.softhca.Command}), the
 * events it raises, and its data path registers.
 */
@Version("1.1.0")
@Export
package org.irpverbs.softhca;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
