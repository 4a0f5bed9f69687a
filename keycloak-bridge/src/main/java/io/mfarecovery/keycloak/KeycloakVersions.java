package io.mfarecovery.keycloak;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which Keycloak versions the bridge runs on: 26.4 and later 26.x (it is built against the 26.4 SPI, the oldest it
 * supports, and tested on 26.4 and 26.7). On another version the bridge refuses to start, so that Keycloak says why
 * at start-up instead of failing a sign-in later.
 */
final class KeycloakVersions {

    static final int MAJOR = 26;
    static final int OLDEST_MINOR = 4;

    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.\\d+)?(?:[-.].*)?");

    private KeycloakVersions() {
    }

    /** Why the bridge cannot run on Keycloak {@code running}, or null when it can. */
    static String problem(String running) {
        Matcher found = running == null ? null : VERSION.matcher(running.trim());
        if (found == null || !found.matches()) {
            return "Keycloak's version " + running + " cannot be read; the MFA recovery bridge supports "
                    + supported();
        }
        int major = Integer.parseInt(found.group(1));
        int minor = Integer.parseInt(found.group(2));
        if (major != MAJOR || minor < OLDEST_MINOR) {
            return "Keycloak " + running + " is not supported by the MFA recovery bridge, which supports "
                    + supported();
        }
        return null;
    }

    static String supported() {
        return MAJOR + "." + OLDEST_MINOR + " and later " + MAJOR + ".x";
    }
}
