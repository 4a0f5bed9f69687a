package io.mfarecovery.keycloak;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.keycloak.models.KeycloakSession;
import org.keycloak.models.UserModel;

/**
 * The {@code profile} of the calls that send mail (docs/architecture.md): what the sidecar needs for the
 * language and greeting of its mails and to refuse a backup address equal to the primary one. Realm and user
 * still come only from the bridge token.
 */
record UserProfile(String username, String firstName, String email, String locale) {

    static final int MAX_LENGTH = 255;
    static final int MAX_LOCALE_LENGTH = 32;

    /** From Keycloak's user model and the locale Keycloak resolved for the page being shown. */
    static UserProfile of(KeycloakSession session, UserModel user) {
        Locale locale = session.getContext().resolveLocale(user);
        return new UserProfile(user.getUsername(), user.getFirstName(), user.getEmail(),
                locale == null ? null : locale.toLanguageTag());
    }

    /** The JSON object; null values, and values longer than the contract allows, are left out. */
    Map<String, Object> asJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        putIfFits(json, "username", username, MAX_LENGTH);
        putIfFits(json, "first_name", firstName, MAX_LENGTH);
        putIfFits(json, "email", email, MAX_LENGTH);
        putIfFits(json, "locale", locale, MAX_LOCALE_LENGTH);
        return json;
    }

    private static void putIfFits(Map<String, Object> json, String key, String value, int maxLength) {
        if (value != null && !value.isEmpty() && value.length() <= maxLength) {
            json.put(key, value);
        }
    }
}
