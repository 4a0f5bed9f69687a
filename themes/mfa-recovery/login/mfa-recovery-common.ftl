<#-- Shared pieces of the recovery pages. The flow engine switches to another alternative of the current subflow
     when the login-actions form posts authenticationExecution=<execution id>; these macros find that id among
     auth.authenticationSelections so a link leads straight to the step, without the "Try another way" page. -->

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
