/**
 * The MAD service's implementation (QP0/QP1 per port, agents, transaction matching). Owned by the
 * MAD work; not exported.
 */
package org.irpverbs.ibal.internal.mad;
