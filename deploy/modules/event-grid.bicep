// Event Grid delivers the system topic's resource events to armbridge's /events/{sourceId}, with an
// Entra ID token for `audience` on every delivery. What armbridge refuses for good (400, 401, 403,
// 413, which Event Grid does not retry) or what still fails after the retry policy lands as a blob in
// the dead-letter container, written with the topic's managed identity (no storage key), to be
// replayed (deploy/README.md, "Replay dead-lettered events"). Deploy it once armbridge answers on
// HTTPS: creating the subscription runs the validation handshake against the endpoint.
param location string
param namePrefix string
param endpointUrl string

@description('The system topic (in this resource group) to subscribe to; it must have a system-assigned identity.')
param systemTopicName string

@description('Application ID or URI of the Entra app that Event Grid gets its delivery token for.')
param audience string

param includedEventTypes array

@allowed(['CloudEventSchemaV1_0', 'EventGridSchema'])
param deliverySchema string

@description('How long dead-lettered events are kept before the storage lifecycle deletes them.')
param deadLetterRetentionDays int

var deadLetterContainer = 'eventgrid-deadletter'
var blobDataContributorRole = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource deadLetters 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take('${toLower(replace(namePrefix, '-', ''))}dl${uniqueString(resourceGroup().id, systemTopicName)}', 24)
  location: location
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: deadLetters
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: deadLetterContainer
  properties: { publicAccess: 'None' }
}

resource retention 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: deadLetters
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-dead-letters'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['${deadLetterContainer}/'] }
            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: deadLetterRetentionDays } } }
          }
        }
      ]
    }
  }
}

// The topic's identity may write dead letters into this account and nothing else.
resource writeDeadLetters 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetters.id, topic.id, blobDataContributorRole)
  scope: deadLetters
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributorRole)
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
    description: 'Event Grid writes armbridge\'s dead-lettered events'
  }
}

resource delivery 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'armbridge'
  properties: {
    eventDeliverySchema: deliverySchema
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: endpointUrl
        azureActiveDirectoryTenantId: tenant().tenantId
        azureActiveDirectoryApplicationIdOrUri: audience
        // armbridge takes a batch all or nothing (up to 5,000 events): one refused event refuses its
        // whole batch, so single-event deliveries keep one bad event from taking others with it.
        // Raise this for throughput when the events' producers are trusted to be well-formed.
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: empty(includedEventTypes) ? {} : { includedEventTypes: includedEventTypes }
    // Event Grid's maximum: 30 attempts within 24 h; then the event is dead-lettered, not dropped.
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetters.id
          blobContainerName: deadLetterContainer
        }
      }
    }
  }
  dependsOn: [container, writeDeadLetters]
}

output deadLetterAccount string = deadLetters.name
output deadLetterContainer string = deadLetterContainer
