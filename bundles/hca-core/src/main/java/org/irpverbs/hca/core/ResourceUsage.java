package org.irpverbs.hca.core;

/**
 * One resource table of an HCA.
 *
 * @param inUse    entries allocated now
 * @param capacity entries the table has (from the INIT_HCA profile or the device limits)
 */
public record ResourceUsage(int inUse, int capacity) {
    @Override
    public String toString() {
        return inUse + "/" + capacity;
    }
}
