package org.irpverbs.ibal;

/**
 * Arguments of {@link IbalIoctl} requests. One object per request; ownership passes with it.
 */
public abstract class IbalRequest {
    private volatile String error;

    /** Why IBAL failed the request, or null. */
    public String error() {
        return error;
    }

    /** Called by IBAL before it completes the request with an error status. */
    public void setError(String error) {
        this.error = error;
    }

    /** {@link IbalIoctl#NEXT_EVENT}: IBAL sets the event before completing with success. */
    public static final class NextEvent extends IbalRequest {
        public final IbalRegistration registration;
        private volatile IbalEvent event;

        public NextEvent(IbalRegistration registration) {
            this.registration = registration;
        }

        public IbalEvent event() {
            return event;
        }

        /** Called by IBAL. */
        public void setEvent(IbalEvent event) {
            this.event = event;
        }
    }

    /** {@link IbalIoctl#UNREGISTER}. */
    public static final class Unregister extends IbalRequest {
        public final IbalRegistration registration;

        public Unregister(IbalRegistration registration) {
            this.registration = registration;
        }
    }
}
