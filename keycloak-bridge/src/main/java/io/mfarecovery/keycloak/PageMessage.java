package io.mfarecovery.keycloak;

import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.forms.login.MessageType;
import org.keycloak.models.utils.FormMessage;

/**
 * One message of a recovery page: a message key of the theme with its parameters, shown in the page's alert or,
 * when {@code field} is set, as the error of that input (the templates tie it to the input with
 * {@code messagesPerField}).
 */
record PageMessage(MessageType type, String field, String key, Object... params) {

    static PageMessage error(String key, Object... params) {
        return new PageMessage(MessageType.ERROR, null, key, params);
    }

    /** An error on the input named {@code field}; with a null field, in the page's alert. */
    static PageMessage fieldError(String field, String key, Object... params) {
        return new PageMessage(MessageType.ERROR, field, key, params);
    }

    static PageMessage info(String key, Object... params) {
        return new PageMessage(MessageType.INFO, null, key, params);
    }

    static PageMessage success(String key, Object... params) {
        return new PageMessage(MessageType.SUCCESS, null, key, params);
    }

    /** Puts the message, if any, on the form. */
    static LoginFormsProvider apply(PageMessage message, LoginFormsProvider form) {
        if (message == null) {
            return form;
        }
        if (message.field() != null) {
            return form.addError(new FormMessage(message.field(), message.key(), message.params()));
        }
        return form.setMessage(message.type(), message.key(), message.params());
    }

    /** Seconds from the sidecar as whole minutes for the texts, rounded up, at least one. */
    static int minutes(int seconds) {
        return Math.max(1, (seconds + 59) / 60);
    }
}
