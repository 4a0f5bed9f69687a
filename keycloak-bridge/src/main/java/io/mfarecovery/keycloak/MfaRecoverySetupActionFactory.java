package io.mfarecovery.keycloak;

import org.keycloak.Config;
import org.keycloak.common.util.Environment;
import org.keycloak.authentication.RequiredActionFactory;
import org.keycloak.authentication.RequiredActionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;

/**
 * Registers "Set up account recovery" (alias and provider id {@value #PROVIDER_ID}). It reads the same SPI options
 * as the authenticator ({@code spi-authenticator--mfa-recovery--*}), so the sidecar is configured in one place.
 */
public class MfaRecoverySetupActionFactory implements RequiredActionFactory {

    public static final String PROVIDER_ID = "mfa-recovery-setup";

    private SidecarClient sidecar;

    @Override
    public void init(Config.Scope config) {
        sidecar = new SidecarClient(SidecarSettings.from(
                Config.scope("authenticator", MfaRecoveryAuthenticatorFactory.PROVIDER_ID), Environment.isDevMode()));
    }

    @Override
    public RequiredActionProvider create(KeycloakSession session) {
        return new MfaRecoverySetupAction(sidecar);
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
    public String getDisplayText() {
        return "Set up account recovery";
    }
}
