// The vault for armbridge's secrets and its TLS certificate: RBAC authorization (no access
// policies), soft delete with purge protection, and armbridge's identity as Key Vault Secrets User on
// this vault and nothing more. Whoever rotates the secrets gets Key Vault Secrets Officer here.
param location string
param name string

@description('Object id of armbridge\'s managed identity.')
param principalId string

@description('Object ids (users or groups) that set and rotate the secrets: Key Vault Secrets Officer on this vault.')
param secretsOfficers array

// Built-in roles: Key Vault Secrets User reads secret values; Key Vault Secrets Officer manages them.
var secretsUserRole = '4633458b-17de-408a-b874-0445c86b69e6'
var secretsOfficerRole = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
  }
}

resource readSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, secretsUserRole)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRole)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'armbridge reads its secrets and TLS certificate'
  }
}

resource manageSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for officer in secretsOfficers: {
    name: guid(vault.id, officer, secretsOfficerRole)
    scope: vault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficerRole)
      principalId: officer
      description: 'rotates armbridge\'s secrets'
    }
  }
]

output name string = vault.name
output uri string = vault.properties.vaultUri
