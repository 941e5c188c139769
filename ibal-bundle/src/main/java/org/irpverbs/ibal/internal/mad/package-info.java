/**
 * The MAD service's implementation: {@link org.irpverbs.ibal.internal.mad.PortMadService}, one per
 * CA port, owns IBAL's QP0 and QP1 there (posted receive buffers, send slots), the agent table
 * ({@code AgentTable}: one agent per class, version and method; the IBA status for requests nobody
 * serves), the transactions waiting for responses (by TID) and their response timers
 * ({@code MadTimers}: the I/O manager's in production, manual in tests). Receives are driven by CQ
 * notification requests; nothing here owns or waits on a thread. Not exported.
 */
package org.irpverbs.ibal.internal.mad;
