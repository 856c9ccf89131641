// The operators' workbook (deploy/workbook/armbridge.workbook.json): who did what, failures and dead
// jobs, ARM latency and throttling, the newest refusals, the IMDS lock-down. It reads the Application
// Insights resource armbridge exports to; its queries are tested against what armbridge really sends
// (test/e2e/workbook-queries.test.ts).
param location string
param namePrefix string

@description('The Application Insights resource the workbook reads.')
param insightsId string

// The file names the resource it reads as a placeholder, filled in here.
var serializedData = replace(loadTextContent('../workbook/armbridge.workbook.json'), 'INSIGHTS_RESOURCE_ID', insightsId)

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name is a GUID; stable per group and prefix, so a redeploy updates it.
  name: guid(resourceGroup().id, namePrefix, 'armbridge-workbook')
  location: location
  kind: 'shared'
  properties: {
    displayName: '${namePrefix}: who did what'
    category: 'workbook'
    sourceId: insightsId
    serializedData: serializedData
  }
}

output id string = workbook.id
