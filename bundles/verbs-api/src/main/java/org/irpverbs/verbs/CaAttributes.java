package org.irpverbs.verbs;

/**
 * What QUERY_CA returns (the fields ibv_devinfo prints).
 *
 * @param model            hardware model, e.g. "MT23108 (Tavor)"
 * @param firmwareVersion  e.g. "3.5.0"
 * @param nodeGuid         the node GUID
 * @param systemImageGuid  the system image GUID
 * @param vendorId         PCI vendor (0x02c9 Mellanox)
 * @param vendorPartId     PCI device ID (23108, 25208, 25204)
 * @param hardwareVersion  board revision
 * @param physicalPorts    number of ports
 * @param maxQp            queue pairs the device supports
 * @param maxQpWr          work requests per queue
 * @param maxSge           scatter/gather entries per work request
 * @param maxCq            completion queues
 * @param maxCqe           entries per completion queue
 * @param maxMr            memory regions (MPT entries)
 * @param maxPd            protection domains
 * @param maxMcastGroups   multicast groups
 * @param maxInlineData    bytes a send can carry inline
 * @param memFree          true for a mem-free (ICM in host memory) HCA, false for Tavor-style
 */
public record CaAttributes(String model, String firmwareVersion, long nodeGuid, long systemImageGuid, int vendorId,
        int vendorPartId, int hardwareVersion, int physicalPorts, int maxQp, int maxQpWr, int maxSge, int maxCq,
        int maxCqe, int maxMr, int maxPd, int maxMcastGroups, int maxInlineData, boolean memFree) {
}
