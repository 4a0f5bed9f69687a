<#-- Shared pieces of the recovery pages. The flow engine switches to another alternative of the current subflow
     when the login-actions form posts authenticationExecution=<execution id>; these macros find that id among
     auth.authenticationSelections so a link leads straight to the step, without the "Try another way" page. -->
<#import "field.ftl" as field>

<#function executionIdOf providerId>
    <#if auth?has_content && auth.authenticationSelections??>
        <#list auth.authenticationSelections as selection>
            <#if selection.authenticationExecution.authenticator == providerId>
                <#return selection.authExecId>
            </#if>
        </#list>
    </#if>
    <#return "">
</#function>

<#macro switchTo providerId label id>
    <#assign executionId = executionIdOf(providerId)>
    <#if executionId?has_content>
        <form id="${id}-form" class="mfa-recovery-switch" action="${url.loginAction}" method="post" novalidate="novalidate">
            <input type="hidden" name="authenticationExecution" value="${executionId}"/>
            <button id="${id}" type="submit" class="${properties.kcButtonLinkClass!}">${msg(label)}</button>
        </form>
    </#if>
</#macro>

<#-- "Other options": back to the choice of recovery methods. Shown when that choice offers more than "I have
     neither" (the authenticator sets otherOptions). -->
<#macro otherOptionsButton>
    <#if otherOptions!false>
        <form id="mfa-recovery-other-options-form" class="mfa-recovery-switch" action="${url.loginAction}" method="post" novalidate="novalidate">
            <button id="mfa-recovery-other-options" type="submit" name="back" value="true" class="${properties.kcButtonLinkClass!}">${msg("mfaRecoveryOtherOptions")}</button>
        </form>
    </#if>
</#macro>

<#-- A required one-line field for a code, in keycloak.v2's look; its error (messagesPerField of the same name) is
     tied to it. helpId: the id of the text that explains the field, if any. numeric: a code of digits from a mail
     (numeric keyboard, one-time-code autofill); else a backup code. -->
<#macro codeField name label helpId="" numeric=false>
    <#local error = messagesPerField.existsError(name)>
    <#local describedBy = []>
    <#if helpId?has_content><#local describedBy += [helpId]></#if>
    <#if error><#local describedBy += ["input-error-" + name]></#if>
    <@field.group name=name label=label error=messagesPerField.get(name) required=true>
        <span class="${properties.kcInputClass!} <#if error>${properties.kcError!}</#if>">
            <input id="${name}" name="${name}" type="text" spellcheck="false" maxlength="64" autofocus required
                   <#if numeric>inputmode="numeric" autocomplete="one-time-code"<#else>autocomplete="off" autocapitalize="characters"</#if>
                   <#if describedBy?has_content>aria-describedby="${describedBy?join(' ')}"</#if>
                   aria-invalid="<#if error>true</#if>"/>
        </span>
    </@field.group>
</#macro>

<#-- The recovery desk's request page for this realm and language ("" when no desk URL is configured: the theme
     property mfaRecoveryDeskUrl, from the environment variable MFA_RECOVERY_DESK_URL, see theme.properties). -->
<#function deskRequestUrl>
    <#local base = (properties.mfaRecoveryDeskUrl!"")?trim?remove_ending("/")>
    <#if !base?has_content || base?starts_with(r"${") || !(realm?has_content)>
        <#return "">
    </#if>
    <#return base + "/desk/request?realm=" + realm.name?url("UTF-8") + "&lang=" + (lang!"en")?url("UTF-8")>
</#function>

<#-- "Administrator and lost your MFA?": to the recovery desk, where an administrator files a recovery request. -->
<#macro deskLink>
    <#local deskUrl = deskRequestUrl()>
    <#if deskUrl?has_content>
        <div id="mfa-recovery-desk" class="mfa-recovery-desk">
            <a id="mfa-recovery-desk-link" href="${deskUrl}">${msg("mfaRecoveryDeskLink")}</a>
        </div>
    </#if>
</#macro>
