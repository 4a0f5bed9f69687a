package io.mfarecovery.keycloak;

import org.keycloak.common.util.Time;
import org.keycloak.credential.CredentialModel;
import org.keycloak.credential.CredentialProvider;
import org.keycloak.credential.CredentialTypeMetadata;
import org.keycloak.credential.CredentialTypeMetadataContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

/**
 * Makes backup codes visible where Keycloak lists a user's sign-in methods (the account console's "Signing in"
 * page, the admin console's credentials tab). The codes themselves live in the sidecar; Keycloak stores only a
 * marker credential without secrets, written when the user confirms a new set, so the account console can say
 * "set up" and offer "Set up account recovery" ({@code kc_action=mfa-recovery-setup}) to create or renew them.
 */
public class BackupCodesCredentialProvider implements CredentialProvider<CredentialModel> {

    public static final String TYPE = "mfa-recovery-backup-codes";

    private final KeycloakSession session;

    BackupCodesCredentialProvider(KeycloakSession session) {
        this.session = session;
    }

    /** Record that the user holds a confirmed set made now; replaces the earlier marker. */
    static void recordNewSet(UserModel user) {
        user.credentialManager().getStoredCredentialsByTypeStream(TYPE).toList()
                .forEach(marker -> user.credentialManager().removeStoredCredentialById(marker.getId()));
        CredentialModel marker = new CredentialModel();
        marker.setType(TYPE);
        marker.setUserLabel("Backup codes");
        marker.setCreatedDate(Time.currentTimeMillis());
        marker.setSecretData("{}");
        marker.setCredentialData("{}");
        user.credentialManager().createStoredCredential(marker);
    }

    @Override
    public String getType() {
        return TYPE;
    }

    @Override
    public CredentialModel createCredential(RealmModel realm, UserModel user, CredentialModel credentialModel) {
        return user.credentialManager().createStoredCredential(credentialModel);
    }

    @Override
    public boolean deleteCredential(RealmModel realm, UserModel user, String credentialId) {
        return user.credentialManager().removeStoredCredentialById(credentialId);
    }

    @Override
    public CredentialModel getCredentialFromModel(CredentialModel model) {
        return model;
    }

    @Override
    public CredentialTypeMetadata getCredentialTypeMetadata(CredentialTypeMetadataContext context) {
        UserModel user = context.getUser();
        boolean hasSet = user != null && user.credentialManager().getStoredCredentialsByTypeStream(TYPE).findAny().isPresent();
        CredentialTypeMetadata.CredentialTypeMetadataBuilder builder = CredentialTypeMetadata.builder()
                .type(TYPE)
                .category(CredentialTypeMetadata.Category.TWO_FACTOR)
                .displayName(TYPE + "-display-name")  // message keys: realm-config adds the en/nl texts
                .helpText(TYPE + "-help-text")
                .iconCssClass("kcAuthenticatorRecoveryAuthnCodesClass")
                .removeable(false);
        if (hasSet) {
            builder.updateAction(MfaRecoverySetupActionFactory.PROVIDER_ID);
        } else {
            builder.createAction(MfaRecoverySetupActionFactory.PROVIDER_ID);
        }
        return builder.build(session);
    }
}
