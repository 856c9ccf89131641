// Event Grid delivers this subscription's resource events to armbridge's /events/{sourceId}, with an
// Entra ID token for `audience` on every delivery. Deploy it once armbridge answers on HTTPS: creating
// the subscription runs the validation handshake against the endpoint.
param namePrefix string
param endpointUrl string

@description('Application ID or URI of the Entra app that Event Grid gets its delivery token for.')
param audience string

param includedEventTypes array

@allowed(['CloudEventSchemaV1_0', 'EventGridSchema'])
param deliverySchema string

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: '${namePrefix}-subscription-events'
  location: 'global'
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
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
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}
