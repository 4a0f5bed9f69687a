package io.mfarecovery.keycloak;

import java.util.List;
import java.util.Set;

import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.common.Version;
import org.keycloak.common.util.Environment;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.AuthenticatorFactory;
import org.keycloak.models.AuthenticationExecutionModel.Requirement;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.credential.OTPCredentialModel;
import org.keycloak.provider.ProviderConfigProperty;

/** Registers "MFA recovery" (provider id {@value #PROVIDER_ID}) and owns the one shared sidecar client. */
public class MfaRecoveryAuthenticatorFactory implements AuthenticatorFactory {

    public static final String PROVIDER_ID = "mfa-recovery";

    private static final Logger LOG = Logger.getLogger(MfaRecoveryAuthenticatorFactory.class);
    private static final Requirement[] REQUIREMENT_CHOICES = {
        Requirement.ALTERNATIVE, Requirement.REQUIRED, Requirement.DISABLED
    };

    private SidecarClient sidecar;

    @Override
    public void init(Config.Scope config) {
        String unsupported = KeycloakVersions.problem(Version.VERSION);
        if (unsupported != null) {
            throw new IllegalStateException(unsupported);  // Keycloak does not start, and says why
        }
        SidecarSettings settings = SidecarSettings.from(config, Environment.isDevMode());
        if (!settings.usable()) {
            LOG.errorf("MFA recovery: %s; recovery will show the 'unavailable' page until this is mended",
                    settings.problem());
        }
        LOG.infof("MFA recovery: sidecar at %s (connect %s, read %s)", settings.sidecarUrl(),
                settings.connectTimeout(), settings.readTimeout());
        sidecar = new SidecarClient(settings);
    }

    @Override
    public Authenticator create(KeycloakSession session) {
        return new MfaRecoveryAuthenticator(sidecar);
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "MFA recovery";
    }

    /**
     * Keycloak's brute-force protector counts failures only of the password, OTP and recovery-code categories.
     * This step stands in for the OTP form, so it reports "otp": its failures count like wrong OTP codes. (The
     * recovery-code category would make the account console offer Keycloak's own recovery codes instead.)
     */
    @Override
    public String getReferenceCategory() {
        return OTPCredentialModel.TYPE;
    }

    /** Lets the account console list backup codes as a sign-in method of this realm. */
    @Override
    public Set<String> getOptionalReferenceCategories(KeycloakSession session) {
        return Set.of(BackupCodesCredentialProvider.TYPE);
    }

    @Override
    public boolean isConfigurable() {
        return false;
    }

    @Override
    public Requirement[] getRequirementChoices() {
        return REQUIREMENT_CHOICES;
    }

    @Override
    public boolean isUserSetupAllowed() {
        return false;
    }

    @Override
    public String getHelpText() {
        return "Sign in with a backup code when the authenticator app is lost. Put it beside the OTP form as an "
                + "alternative in the 2FA subflow.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return List.of();
    }
}
