package org.irpverbs.softhca.fabric;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Where a {@link FabricTransport} hands packets that arrive from outside: the switch delivers them
 * to local ports only (never back out through a transport, so bridged fabrics cannot loop).
 *
 * <p>Thread-safe; never blocks.
 */
@ProviderType
@FunctionalInterface
public interface FabricIngress {
    /** Routes {@code frame} (LRH first) to local ports; the fabric owns it from now on. */
    void deliver(Frame frame);
}
