package io.mfarecovery.keycloak;

import org.keycloak.credential.CredentialProviderFactory;
import org.keycloak.models.KeycloakSession;

/** Registers the {@value BackupCodesCredentialProvider#TYPE} credential type. */
public class BackupCodesCredentialProviderFactory implements CredentialProviderFactory<BackupCodesCredentialProvider> {

    @Override
    public String getId() {
        return BackupCodesCredentialProvider.TYPE;
    }

    @Override
    public BackupCodesCredentialProvider create(KeycloakSession session) {
        return new BackupCodesCredentialProvider(session);
    }
}
