/**
 * IBAL's implementation: binding to HCA stacks, the bus driver for port children, the client
 * contract and the object tree (docs/architecture.md section 12). Not exported.
 */
package org.irpverbs.ibal.internal;
