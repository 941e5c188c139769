/**
 * Reserved for the MAD service: byte-exact MAD layouts (the 24-byte common header, the 256-byte
 * MAD) and the agent registration API (docs/architecture.md section 12). Owned by the MAD work.
 */
@Version("1.0.0")
@Export
package org.irpverbs.ibal.mad;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
