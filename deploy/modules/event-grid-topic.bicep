// The subscription's system topic (Microsoft.Resources.Subscriptions). Azure allows one system topic
// per source, so this is deployed only when none exists; otherwise main.bicep's
// `eventGrid.systemTopic` names the existing one. Its system-assigned identity writes dead letters.
param name string

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: 'global'
  identity: { type: 'SystemAssigned' }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

output name string = topic.name
