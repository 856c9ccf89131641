// Assigns armbridge's custom role to its identity on this resource group.
param principalId string

@description('The GUID name of the custom role definition.')
param roleName string

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, roleName)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleName)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'armbridge: least-privilege role from `armbridge roles`'
  }
}
