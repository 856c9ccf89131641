// armbridge on an Azure VM with its managed identity: the VM and its network (modules/host.bicep), the
// vault for its secrets and certificate (modules/key-vault.bicep), the least-privilege custom roles
// that `armbridge roles` prints (one per distinct action set of the grants), each assigned only at its
// own grants' scopes, and, once armbridge answers on HTTPS, an Event Grid subscription that delivers
// to it with a dead-letter container; the operators' workbook and alert rules on Application Insights.
// Redeploying with another config or image changes only the VM's userData (deploy/README.md).
targetScope = 'subscription'

@description('Resource group for the VM, its network and Application Insights; created if missing.')
param resourceGroupName string

param location string = deployment().location

@description('Prefix of every resource name.')
param namePrefix string = 'armbridge'

@description('SystemAssigned: the VM\'s own identity. UserAssigned: a user-assigned identity created here, which outlives the VM.')
@allowed(['SystemAssigned', 'UserAssigned'])
param identityType string = 'SystemAssigned'

@description('`roleDefinitions` of `node src/main.ts roles --config <config> --format bicep-parameters`: [{ name, description, actions, notActions, assignableScopes }].')
param roleDefinitions array

@description('`roleAssignments` of the same output: [{ role, scope }], each role only at its own grants\' scopes.')
param roleAssignments array

@description('Assign at resource-group scopes now. Set false while a granted group does not exist yet: `armbridge roles` marks those assignments `waitsForGroup`; make them later with `az role assignment create`.')
param assignAtResourceGroups bool = true

@description('The armbridge image, by digest (registry/armbridge@sha256:...); the VM must be able to pull it.')
param armbridgeImage string

@description('The armbridge config file: `--parameters armbridgeConfig=@config/prod.yaml`. Secrets stay out of it.')
param armbridgeConfig string

param adminUsername string = 'azureuser'

@description('SSH public key for the admin user. No inbound SSH is opened; use Azure Bastion or `az vm run-command`.')
param sshPublicKey string

param vmSize string = 'Standard_B2s'

@description('DNS label of the public IP: armbridge answers on https://<label>.<region>.cloudapp.azure.com.')
param dnsLabel string = toLower('${namePrefix}-${uniqueString(subscription().id, resourceGroupName)}')

@description('Who may reach HTTPS (443): service tags or CIDRs. Honoured with a Key Vault certificate only; a Let\'s Encrypt certificate needs 443 open to the Internet for its renewals.')
param httpsSourceAddressPrefixes array = ['Internet']

@description('Key Vault secret name of the TLS certificate (PEM) Caddy serves. Empty: Let\'s Encrypt (TLS-ALPN challenge).')
param tlsCertificateSecretName string = ''

@description('Name of the vault for armbridge\'s secrets and certificate (globally unique, 3-24 characters).')
param keyVaultName string = take('${namePrefix}-${uniqueString(subscription().id, resourceGroupName)}', 24)

@description('Object ids of the users or groups that set and rotate the secrets (Key Vault Secrets Officer).')
param secretsOfficers array = []

@description('Event Grid subscription to armbridge, deployed once armbridge answers: { sourceId, audience, includedEventTypes?, deliverySchema?, systemTopic?, systemTopicResourceGroup?, deadLetterRetentionDays? }. systemTopic names an existing system topic of this subscription (Azure allows one per source); without it one is created. Empty: none.')
param eventGrid object = {}

@description('Action groups (resource ids) the alert rules notify (dead jobs, ARM throttling, the IMDS lock-down). Empty: the alerts show in the portal only.')
param alertActionGroupIds array = []

@description('ARM 429 answers per subscription within 15 minutes above which the throttling alert fires.')
param armThrottlingAlertThreshold int = 10

resource group 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
}

module host 'modules/host.bicep' = {
  name: '${namePrefix}-host'
  scope: group
  params: {
    location: location
    namePrefix: namePrefix
    identityType: identityType
    armbridgeImage: armbridgeImage
    armbridgeConfig: armbridgeConfig
    adminUsername: adminUsername
    sshPublicKey: sshPublicKey
    vmSize: vmSize
    dnsLabel: dnsLabel
    httpsSourceAddressPrefixes: httpsSourceAddressPrefixes
    tlsCertificateSecretName: tlsCertificateSecretName
    keyVaultName: keyVaultName
  }
}

module vault 'modules/key-vault.bicep' = {
  name: '${namePrefix}-key-vault'
  scope: group
  params: {
    location: location
    name: keyVaultName
    principalId: host.outputs.principalId
    secretsOfficers: secretsOfficers
  }
}

// The operators' pictures: the workbook and the alert rules, both on armbridge's Application Insights.
module workbook 'modules/workbook.bicep' = {
  name: '${namePrefix}-workbook'
  scope: group
  params: {
    location: location
    namePrefix: namePrefix
    insightsId: host.outputs.insightsId
  }
}

module alerts 'modules/alerts.bicep' = {
  name: '${namePrefix}-alerts'
  scope: group
  params: {
    location: location
    namePrefix: namePrefix
    insightsId: host.outputs.insightsId
    actionGroupIds: alertActionGroupIds
    throttlingThreshold: armThrottlingAlertThreshold
  }
}

// A role definition's name is a GUID; stable per deployment and action set, so a redeploy updates it.
resource roles 'Microsoft.Authorization/roleDefinitions@2022-04-01' = [
  for def in roleDefinitions: {
    name: guid(subscription().id, resourceGroupName, namePrefix, def.name)
    properties: {
      roleName: '${namePrefix} ${def.name} (${resourceGroupName})'
      description: def.description
      type: 'CustomRole'
      permissions: [
        {
          actions: def.actions
          notActions: def.notActions
        }
      ]
      assignableScopes: def.assignableScopes
    }
  }
]

// "/subscriptions/{id}" splits into 3 parts; "/subscriptions/{id}/resourceGroups/{name}" into 5.
// An assignment below a group (one resource) is left to `az role assignment create`.
var subscriptionAssignments = filter(roleAssignments, a => length(split(a.scope, '/')) == 3)
var groupAssignments = assignAtResourceGroups
  ? filter(roleAssignments, a => length(split(a.scope, '/')) == 5 && toLower(split(a.scope, '/')[3]) == 'resourcegroups')
  : []

module subscriptionRoleAssignments 'modules/role-assignment-subscription.bicep' = [
  for (a, i) in subscriptionAssignments: {
    name: '${namePrefix}-role-sub-${i}'
    scope: subscription(split(a.scope, '/')[2])
    params: {
      principalId: host.outputs.principalId
      roleName: guid(subscription().id, resourceGroupName, namePrefix, a.role)
    }
    dependsOn: [roles]
  }
]

module groupRoleAssignments 'modules/role-assignment-group.bicep' = [
  for (a, i) in groupAssignments: {
    name: '${namePrefix}-role-rg-${i}'
    scope: resourceGroup(split(a.scope, '/')[2], split(a.scope, '/')[4])
    params: {
      principalId: host.outputs.principalId
      roleName: guid(subscription().id, resourceGroupName, namePrefix, a.role)
    }
    dependsOn: [roles]
  }
]

// An existing system topic is reused where it lives; otherwise one is created in armbridge's group.
var topicGroupName = eventGrid.?systemTopicResourceGroup ?? resourceGroupName
var createTopic = !empty(eventGrid) && empty(eventGrid.?systemTopic ?? '')

module topic 'modules/event-grid-topic.bicep' = if (createTopic) {
  name: '${namePrefix}-event-grid-topic'
  scope: resourceGroup(topicGroupName)
  params: {
    name: '${namePrefix}-subscription-events'
  }
  dependsOn: [group]
}

module events 'modules/event-grid.bicep' = if (!empty(eventGrid)) {
  name: '${namePrefix}-event-grid'
  scope: resourceGroup(topicGroupName)
  params: {
    location: location
    namePrefix: namePrefix
    systemTopicName: eventGrid.?systemTopic ?? '${namePrefix}-subscription-events'
    endpointUrl: 'https://${host.outputs.fqdn}/events/${eventGrid.?sourceId ?? 'azure'}'
    audience: eventGrid.?audience ?? ''
    includedEventTypes: eventGrid.?includedEventTypes ?? []
    deliverySchema: eventGrid.?deliverySchema ?? 'CloudEventSchemaV1_0'
    deadLetterRetentionDays: eventGrid.?deadLetterRetentionDays ?? 30
  }
  dependsOn: [topic, group]
}

output url string = 'https://${host.outputs.fqdn}'
output principalId string = host.outputs.principalId
output vmName string = host.outputs.vmName
output roleDefinitionIds array = [for (def, i) in roleDefinitions: roles[i].id]
output keyVaultUri string = vault.outputs.uri
output httpsSources array = host.outputs.httpsSources
output workbookId string = workbook.outputs.id
