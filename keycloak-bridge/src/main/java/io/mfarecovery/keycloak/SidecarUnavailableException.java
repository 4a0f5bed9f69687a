package io.mfarecovery.keycloak;

/** The sidecar could not give a usable answer: down, slow, misconfigured or answering with an error. */
final class SidecarUnavailableException extends Exception {

    SidecarUnavailableException(String message) {
        super(message);
    }

    SidecarUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
